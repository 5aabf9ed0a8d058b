// Original file: contracts/proto/wallet.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BalanceRequest as _BalanceRequest, BalanceRequest__Output as _BalanceRequest__Output } from './BalanceRequest.ts';
import type { BalanceResponse as _BalanceResponse, BalanceResponse__Output as _BalanceResponse__Output } from './BalanceResponse.ts';
import type { CaptureFundsRequest as _CaptureFundsRequest, CaptureFundsRequest__Output as _CaptureFundsRequest__Output } from './CaptureFundsRequest.ts';
import type { GetHoldRequest as _GetHoldRequest, GetHoldRequest__Output as _GetHoldRequest__Output } from './GetHoldRequest.ts';
import type { GetWalletRequest as _GetWalletRequest, GetWalletRequest__Output as _GetWalletRequest__Output } from './GetWalletRequest.ts';
import type { HoldResponse as _HoldResponse, HoldResponse__Output as _HoldResponse__Output } from './HoldResponse.ts';
import type { ListWalletsRequest as _ListWalletsRequest, ListWalletsRequest__Output as _ListWalletsRequest__Output } from './ListWalletsRequest.ts';
import type { ListWalletsResponse as _ListWalletsResponse, ListWalletsResponse__Output as _ListWalletsResponse__Output } from './ListWalletsResponse.ts';
import type { OpenWalletRequest as _OpenWalletRequest, OpenWalletRequest__Output as _OpenWalletRequest__Output } from './OpenWalletRequest.ts';
import type { ReleaseFundsRequest as _ReleaseFundsRequest, ReleaseFundsRequest__Output as _ReleaseFundsRequest__Output } from './ReleaseFundsRequest.ts';
import type { ReserveFundsRequest as _ReserveFundsRequest, ReserveFundsRequest__Output as _ReserveFundsRequest__Output } from './ReserveFundsRequest.ts';
import type { SetWalletStatusRequest as _SetWalletStatusRequest, SetWalletStatusRequest__Output as _SetWalletStatusRequest__Output } from './SetWalletStatusRequest.ts';
import type { TransferRequest as _TransferRequest, TransferRequest__Output as _TransferRequest__Output } from './TransferRequest.ts';
import type { TransferResponse as _TransferResponse, TransferResponse__Output as _TransferResponse__Output } from './TransferResponse.ts';
import type { UpdateBalanceRequest as _UpdateBalanceRequest, UpdateBalanceRequest__Output as _UpdateBalanceRequest__Output } from './UpdateBalanceRequest.ts';
import type { UpdateBalanceResponse as _UpdateBalanceResponse, UpdateBalanceResponse__Output as _UpdateBalanceResponse__Output } from './UpdateBalanceResponse.ts';
import type { Wallet as _Wallet, Wallet__Output as _Wallet__Output } from './Wallet.ts';

export interface WalletServiceClient extends grpc.Client {
  CaptureFunds(argument: _CaptureFundsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  CaptureFunds(argument: _CaptureFundsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  CaptureFunds(argument: _CaptureFundsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  CaptureFunds(argument: _CaptureFundsRequest, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  captureFunds(argument: _CaptureFundsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  captureFunds(argument: _CaptureFundsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  captureFunds(argument: _CaptureFundsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  captureFunds(argument: _CaptureFundsRequest, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The seed's three calls.
   */
  GetBalance(argument: _BalanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_BalanceResponse__Output>): grpc.ClientUnaryCall;
  GetBalance(argument: _BalanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_BalanceResponse__Output>): grpc.ClientUnaryCall;
  GetBalance(argument: _BalanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_BalanceResponse__Output>): grpc.ClientUnaryCall;
  GetBalance(argument: _BalanceRequest, callback: grpc.requestCallback<_BalanceResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The seed's three calls.
   */
  getBalance(argument: _BalanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_BalanceResponse__Output>): grpc.ClientUnaryCall;
  getBalance(argument: _BalanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_BalanceResponse__Output>): grpc.ClientUnaryCall;
  getBalance(argument: _BalanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_BalanceResponse__Output>): grpc.ClientUnaryCall;
  getBalance(argument: _BalanceRequest, callback: grpc.requestCallback<_BalanceResponse__Output>): grpc.ClientUnaryCall;
  
  GetHold(argument: _GetHoldRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  GetHold(argument: _GetHoldRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  GetHold(argument: _GetHoldRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  GetHold(argument: _GetHoldRequest, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  getHold(argument: _GetHoldRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  getHold(argument: _GetHoldRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  getHold(argument: _GetHoldRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  getHold(argument: _GetHoldRequest, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  
  GetWallet(argument: _GetWalletRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  GetWallet(argument: _GetWalletRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  GetWallet(argument: _GetWalletRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  GetWallet(argument: _GetWalletRequest, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  getWallet(argument: _GetWalletRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  getWallet(argument: _GetWalletRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  getWallet(argument: _GetWalletRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  getWallet(argument: _GetWalletRequest, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  
  ListWallets(argument: _ListWalletsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ListWalletsResponse__Output>): grpc.ClientUnaryCall;
  ListWallets(argument: _ListWalletsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ListWalletsResponse__Output>): grpc.ClientUnaryCall;
  ListWallets(argument: _ListWalletsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ListWalletsResponse__Output>): grpc.ClientUnaryCall;
  ListWallets(argument: _ListWalletsRequest, callback: grpc.requestCallback<_ListWalletsResponse__Output>): grpc.ClientUnaryCall;
  listWallets(argument: _ListWalletsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ListWalletsResponse__Output>): grpc.ClientUnaryCall;
  listWallets(argument: _ListWalletsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ListWalletsResponse__Output>): grpc.ClientUnaryCall;
  listWallets(argument: _ListWalletsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ListWalletsResponse__Output>): grpc.ClientUnaryCall;
  listWallets(argument: _ListWalletsRequest, callback: grpc.requestCallback<_ListWalletsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Wallet lifecycle.
   */
  OpenWallet(argument: _OpenWalletRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  OpenWallet(argument: _OpenWalletRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  OpenWallet(argument: _OpenWalletRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  OpenWallet(argument: _OpenWalletRequest, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  /**
   * Wallet lifecycle.
   */
  openWallet(argument: _OpenWalletRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  openWallet(argument: _OpenWalletRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  openWallet(argument: _OpenWalletRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  openWallet(argument: _OpenWalletRequest, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  
  ReleaseFunds(argument: _ReleaseFundsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  ReleaseFunds(argument: _ReleaseFundsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  ReleaseFunds(argument: _ReleaseFundsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  ReleaseFunds(argument: _ReleaseFundsRequest, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  releaseFunds(argument: _ReleaseFundsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  releaseFunds(argument: _ReleaseFundsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  releaseFunds(argument: _ReleaseFundsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  releaseFunds(argument: _ReleaseFundsRequest, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Two-phase movement for the payment saga.
   */
  ReserveFunds(argument: _ReserveFundsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  ReserveFunds(argument: _ReserveFundsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  ReserveFunds(argument: _ReserveFundsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  ReserveFunds(argument: _ReserveFundsRequest, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Two-phase movement for the payment saga.
   */
  reserveFunds(argument: _ReserveFundsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  reserveFunds(argument: _ReserveFundsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  reserveFunds(argument: _ReserveFundsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  reserveFunds(argument: _ReserveFundsRequest, callback: grpc.requestCallback<_HoldResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Suspends a wallet (it can neither send nor receive; its holds can still be
   * released) or makes it active again, e.g. on a compliance review.
   */
  SetWalletStatus(argument: _SetWalletStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  SetWalletStatus(argument: _SetWalletStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  SetWalletStatus(argument: _SetWalletStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  SetWalletStatus(argument: _SetWalletStatusRequest, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  /**
   * Suspends a wallet (it can neither send nor receive; its holds can still be
   * released) or makes it active again, e.g. on a compliance review.
   */
  setWalletStatus(argument: _SetWalletStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  setWalletStatus(argument: _SetWalletStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  setWalletStatus(argument: _SetWalletStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  setWalletStatus(argument: _SetWalletStatusRequest, callback: grpc.requestCallback<_Wallet__Output>): grpc.ClientUnaryCall;
  
  TransferFunds(argument: _TransferRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_TransferResponse__Output>): grpc.ClientUnaryCall;
  TransferFunds(argument: _TransferRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_TransferResponse__Output>): grpc.ClientUnaryCall;
  TransferFunds(argument: _TransferRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_TransferResponse__Output>): grpc.ClientUnaryCall;
  TransferFunds(argument: _TransferRequest, callback: grpc.requestCallback<_TransferResponse__Output>): grpc.ClientUnaryCall;
  transferFunds(argument: _TransferRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_TransferResponse__Output>): grpc.ClientUnaryCall;
  transferFunds(argument: _TransferRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_TransferResponse__Output>): grpc.ClientUnaryCall;
  transferFunds(argument: _TransferRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_TransferResponse__Output>): grpc.ClientUnaryCall;
  transferFunds(argument: _TransferRequest, callback: grpc.requestCallback<_TransferResponse__Output>): grpc.ClientUnaryCall;
  
  UpdateBalance(argument: _UpdateBalanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_UpdateBalanceResponse__Output>): grpc.ClientUnaryCall;
  UpdateBalance(argument: _UpdateBalanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_UpdateBalanceResponse__Output>): grpc.ClientUnaryCall;
  UpdateBalance(argument: _UpdateBalanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_UpdateBalanceResponse__Output>): grpc.ClientUnaryCall;
  UpdateBalance(argument: _UpdateBalanceRequest, callback: grpc.requestCallback<_UpdateBalanceResponse__Output>): grpc.ClientUnaryCall;
  updateBalance(argument: _UpdateBalanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_UpdateBalanceResponse__Output>): grpc.ClientUnaryCall;
  updateBalance(argument: _UpdateBalanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_UpdateBalanceResponse__Output>): grpc.ClientUnaryCall;
  updateBalance(argument: _UpdateBalanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_UpdateBalanceResponse__Output>): grpc.ClientUnaryCall;
  updateBalance(argument: _UpdateBalanceRequest, callback: grpc.requestCallback<_UpdateBalanceResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface WalletServiceHandlers extends grpc.UntypedServiceImplementation {
  CaptureFunds: grpc.handleUnaryCall<_CaptureFundsRequest__Output, _HoldResponse>;
  
  /**
   * The seed's three calls.
   */
  GetBalance: grpc.handleUnaryCall<_BalanceRequest__Output, _BalanceResponse>;
  
  GetHold: grpc.handleUnaryCall<_GetHoldRequest__Output, _HoldResponse>;
  
  GetWallet: grpc.handleUnaryCall<_GetWalletRequest__Output, _Wallet>;
  
  ListWallets: grpc.handleUnaryCall<_ListWalletsRequest__Output, _ListWalletsResponse>;
  
  /**
   * Wallet lifecycle.
   */
  OpenWallet: grpc.handleUnaryCall<_OpenWalletRequest__Output, _Wallet>;
  
  ReleaseFunds: grpc.handleUnaryCall<_ReleaseFundsRequest__Output, _HoldResponse>;
  
  /**
   * Two-phase movement for the payment saga.
   */
  ReserveFunds: grpc.handleUnaryCall<_ReserveFundsRequest__Output, _HoldResponse>;
  
  /**
   * Suspends a wallet (it can neither send nor receive; its holds can still be
   * released) or makes it active again, e.g. on a compliance review.
   */
  SetWalletStatus: grpc.handleUnaryCall<_SetWalletStatusRequest__Output, _Wallet>;
  
  TransferFunds: grpc.handleUnaryCall<_TransferRequest__Output, _TransferResponse>;
  
  UpdateBalance: grpc.handleUnaryCall<_UpdateBalanceRequest__Output, _UpdateBalanceResponse>;
  
}

export interface WalletServiceDefinition extends grpc.ServiceDefinition {
  CaptureFunds: MethodDefinition<_CaptureFundsRequest, _HoldResponse, _CaptureFundsRequest__Output, _HoldResponse__Output>
  GetBalance: MethodDefinition<_BalanceRequest, _BalanceResponse, _BalanceRequest__Output, _BalanceResponse__Output>
  GetHold: MethodDefinition<_GetHoldRequest, _HoldResponse, _GetHoldRequest__Output, _HoldResponse__Output>
  GetWallet: MethodDefinition<_GetWalletRequest, _Wallet, _GetWalletRequest__Output, _Wallet__Output>
  ListWallets: MethodDefinition<_ListWalletsRequest, _ListWalletsResponse, _ListWalletsRequest__Output, _ListWalletsResponse__Output>
  OpenWallet: MethodDefinition<_OpenWalletRequest, _Wallet, _OpenWalletRequest__Output, _Wallet__Output>
  ReleaseFunds: MethodDefinition<_ReleaseFundsRequest, _HoldResponse, _ReleaseFundsRequest__Output, _HoldResponse__Output>
  ReserveFunds: MethodDefinition<_ReserveFundsRequest, _HoldResponse, _ReserveFundsRequest__Output, _HoldResponse__Output>
  SetWalletStatus: MethodDefinition<_SetWalletStatusRequest, _Wallet, _SetWalletStatusRequest__Output, _Wallet__Output>
  TransferFunds: MethodDefinition<_TransferRequest, _TransferResponse, _TransferRequest__Output, _TransferResponse__Output>
  UpdateBalance: MethodDefinition<_UpdateBalanceRequest, _UpdateBalanceResponse, _UpdateBalanceRequest__Output, _UpdateBalanceResponse__Output>
}
