import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

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
import type { WalletServiceClient as _WalletServiceClient, WalletServiceDefinition as _WalletServiceDefinition } from './WalletService.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  BalanceRequest: MessageTypeDefinition<_BalanceRequest, _BalanceRequest__Output>
  BalanceResponse: MessageTypeDefinition<_BalanceResponse, _BalanceResponse__Output>
  CaptureFundsRequest: MessageTypeDefinition<_CaptureFundsRequest, _CaptureFundsRequest__Output>
  GetHoldRequest: MessageTypeDefinition<_GetHoldRequest, _GetHoldRequest__Output>
  GetWalletRequest: MessageTypeDefinition<_GetWalletRequest, _GetWalletRequest__Output>
  HoldResponse: MessageTypeDefinition<_HoldResponse, _HoldResponse__Output>
  ListWalletsRequest: MessageTypeDefinition<_ListWalletsRequest, _ListWalletsRequest__Output>
  ListWalletsResponse: MessageTypeDefinition<_ListWalletsResponse, _ListWalletsResponse__Output>
  OpenWalletRequest: MessageTypeDefinition<_OpenWalletRequest, _OpenWalletRequest__Output>
  ReleaseFundsRequest: MessageTypeDefinition<_ReleaseFundsRequest, _ReleaseFundsRequest__Output>
  ReserveFundsRequest: MessageTypeDefinition<_ReserveFundsRequest, _ReserveFundsRequest__Output>
  SetWalletStatusRequest: MessageTypeDefinition<_SetWalletStatusRequest, _SetWalletStatusRequest__Output>
  TransferRequest: MessageTypeDefinition<_TransferRequest, _TransferRequest__Output>
  TransferResponse: MessageTypeDefinition<_TransferResponse, _TransferResponse__Output>
  UpdateBalanceRequest: MessageTypeDefinition<_UpdateBalanceRequest, _UpdateBalanceRequest__Output>
  UpdateBalanceResponse: MessageTypeDefinition<_UpdateBalanceResponse, _UpdateBalanceResponse__Output>
  Wallet: MessageTypeDefinition<_Wallet, _Wallet__Output>
  WalletService: SubtypeConstructor<typeof grpc.Client, _WalletServiceClient> & { service: _WalletServiceDefinition }
}

